// Group `subgraph` of the TFLM single-operator set (issue 14): models with
// several subgraphs (CALL_ONCE, IF, WHILE) and resource variables
// (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE). Each model is a few operators
// written by our writer; each vector is a stream of `invokes` invokes on one
// fresh interpreter, so state kept in variables and CALL_ONCE's single run are
// checked step by step: the input file holds the inputs of every invoke one
// after another, the output file the outputs after every invoke, as the
// oracle (TFLM's MicroInterpreter at 90b983c, reference kernels) wrote them.
// Configurations TFLM refuses (or crashes on) go to the manifest's `refused`
// list with the status our core refuses them with.
//
//   node dist/tools/tflm-ops/subgraph.js --oracle /work/scratch-tflm/bin/tflm_run [--out test/data/tflm-ops/subgraph]
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeTflite, type FlatField, type FlatModel, type FlatOperator, type FlatSubgraph, type FlatTensor } from '../../src/convert/tflite-write.js';
import { builtinCode, builtinNames } from './builtins.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** TensorType codes of the schema. */
const T = { float32: 0, int32: 2, bool: 6, int8: 9, resource: 13 } as const;
type DType = keyof typeof T;
const typeNames = Object.fromEntries(Object.entries(T).map(([k, v]) => [v, k])) as Record<number, DType>;
const elementBytes: Record<DType, number> = { float32: 4, int32: 4, bool: 1, int8: 1, resource: 0 };
/** BuiltinOptions union types. */
const OPTS = { ADD: 11, MUL: 21, SUB: 28, IF: 92, WHILE: 93, CALL_ONCE: 103, VAR_HANDLE: 111 } as const;

/** xorshift32, as ../shared/reference/ops/manifest.json "seeded_inputs" defines it. */
class XorShift {
  constructor(private state: number) {}
  next(): number {
    let x = this.state >>> 0;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }
}

const f32 = (v: readonly number[]) => new Uint8Array(Float32Array.from(v).buffer);
const i32 = (v: readonly number[]) => new Uint8Array(Int32Array.from(v).buffer);
const q = (scale: number, zeroPoint: number) => ({ scale: [scale], zeroPoint: [zeroPoint], axis: 0 });

/** A subgraph under construction. */
class G {
  readonly tensors: FlatTensor[] = [];
  readonly operators: FlatOperator[] = [];
  inputs: number[] = [];
  outputs: number[] = [];
  t(name: string, type: DType, shape: number[], extra: Partial<FlatTensor> = {}): number {
    return this.tensors.push({ name, type: T[type], shape, ...extra }) - 1;
  }
  op(name: string, inputs: number[], outputs: number[], optionsType = 0, options: FlatField[] = []): this {
    this.operators.push({ builtin: builtinCode(name), version: 1, inputs, outputs, optionsType, options });
    return this;
  }
  io(inputs: number[], outputs: number[]): this {
    this.inputs = inputs;
    this.outputs = outputs;
    return this;
  }
  get flat(): FlatSubgraph {
    return { tensors: this.tensors, operators: this.operators, inputs: this.inputs, outputs: this.outputs };
  }
}

const sub = (index: number, slot = 0): FlatField => ({ slot, type: 'i32', value: index });
const varHandle = (g: G, name: string, tensor: string): number => {
  const r = g.t(tensor, 'resource', []);
  g.op('VAR_HANDLE', [], [r], OPTS.VAR_HANDLE, [{ slot: 0, type: 'str', value: '' }, { slot: 1, type: 'str', value: name }]);
  return r;
};

function model(id: string, graphs: G[]): FlatModel {
  const [main, ...rest] = graphs.map((g) => g.flat);
  return { ...main!, subgraphs: rest, description: `xs-tinyml tflm-ops subgraph ${id}` };
}

interface Spec {
  id: string;
  source: string;
  model: FlatModel;
  invokes: number;
  seeds: number[];
  /** Hand-chosen values of one-element inputs (by input position, encoded in the input's type), one per invoke: the rest is seeded. */
  fixed?: Record<number, number[]>;
}

interface Refused {
  id: string;
  source: string;
  model: FlatModel;
  expect: string;
}

// ---- models that run ----

/** Streaming state as converters write it: CALL_ONCE initializes a variable, each invoke reads, adds, assigns. */
function callOnceAccumulator(): Spec {
  const m = new G();
  const x = m.t('x', 'float32', [1, 4]);
  m.op('CALL_ONCE', [], [], OPTS.CALL_ONCE, [sub(1)]);
  const r = varHandle(m, 'acc', 'acc_handle');
  const prev = m.t('prev', 'float32', [1, 4]);
  const sum = m.t('sum', 'float32', [1, 4]);
  m.op('READ_VARIABLE', [r], [prev]).op('ADD', [prev, x], [sum], OPTS.ADD, [{ slot: 0, type: 'i8', value: 0 }]);
  m.op('ASSIGN_VARIABLE', [r, sum], []).io([x], [sum]);
  const init = new G();
  const r1 = varHandle(init, 'acc', 'acc_handle_init');
  const start = init.t('start', 'float32', [1, 4], { data: f32([0.5, -1, 2, 0.25]) });
  init.op('ASSIGN_VARIABLE', [r1, start], []).io([], []);
  return {
    id: 'call_once_var_accumulate_f32', model: model('call_once_var_accumulate_f32', [m, init]), invokes: 5, seeds: [1, 2],
    source: 'CALL_ONCE runs subgraph 1, which assigns a constant to variable "acc" through its own VAR_HANDLE (same shared_name); each invoke of subgraph 0 reads acc, adds input x (float32 [1,4]) and assigns the sum back, output the sum',
  };
}

/** An int8 variable read before any assign: TFLM fills it with the first assigned value's zero point. */
function int8ReadBeforeAssign(): Spec {
  const m = new G();
  const x = m.t('x', 'int8', [6], { quant: q(0.05, 2) });
  const r = varHandle(m, 'state', 'state_handle');
  const prev = m.t('prev', 'int8', [6], { quant: q(0.1, -5) });
  const sum = m.t('sum', 'int8', [6], { quant: q(0.1, 3) });
  m.op('READ_VARIABLE', [r], [prev]).op('ADD', [prev, x], [sum], OPTS.ADD, [{ slot: 0, type: 'i8', value: 0 }]);
  m.op('ASSIGN_VARIABLE', [r, sum], []).io([x], [prev, sum]);
  return {
    id: 'var_int8_read_before_assign', model: model('var_int8_read_before_assign', [m]), invokes: 4, seeds: [1, 2],
    source: 'one subgraph, no CALL_ONCE: int8 variable read (zero point -5) before the first assign (value zero point 3), then ADD with input x (int8 [6]) and assigned; outputs the value read and the sum',
  };
}

function branch(op: 'ADD' | 'MUL' | 'SUB', c: number[], shape: number[], type: 'float32' | 'int8' = 'float32'): G {
  const g = new G();
  const quant = type === 'int8' ? { quant: q(0.04, -3) } : {};
  const x = g.t('x', type, shape, quant);
  const k = g.t('k', type, shape, { data: type === 'int8' ? new Uint8Array(Int8Array.from(c).buffer) : f32(c), ...quant });
  const y = g.t('y', type, shape, quant);
  return g.op(op, [x, k], [y], OPTS[op], [{ slot: 0, type: 'i8', value: 0 }]).io([x], [y]);
}

/** IF on a bool input: then multiplies, else subtracts. */
function ifF32(): Spec {
  const m = new G();
  const c = m.t('cond', 'bool', [1]);
  const x = m.t('x', 'float32', [2, 3]);
  const y = m.t('y', 'float32', [2, 3]);
  m.op('IF', [c, x], [y], OPTS.IF, [sub(1, 0), sub(2, 1)]).io([c, x], [y]);
  return {
    id: 'if_f32_mul_or_sub', model: model('if_f32_mul_or_sub', [m, branch('MUL', [2, -1, 0.5, 3, 1, -2], [2, 3]), branch('SUB', [1, 1, 1, -1, -1, -1], [2, 3])]),
    invokes: 6, seeds: [1, 2, 3],
    source: 'IF (bool [1] condition, float32 [2,3]): then subgraph 1 multiplies by a constant, else subgraph 2 subtracts one; seeded conditions over 6 invokes take both branches',
  };
}

/** IF whose else branch has no operators (its output is its input), int8. */
function ifInt8Passthrough(): Spec {
  const m = new G();
  const c = m.t('cond', 'bool', [1]);
  const x = m.t('x', 'int8', [5], { quant: q(0.04, -3) });
  const y = m.t('y', 'int8', [5], { quant: q(0.04, -3) });
  m.op('IF', [c, x], [y], OPTS.IF, [sub(1, 0), sub(2, 1)]).io([c, x], [y]);
  const pass = new G();
  const px = pass.t('x', 'int8', [5], { quant: q(0.04, -3) });
  pass.io([px], [px]);
  return {
    id: 'if_int8_add_or_passthrough', model: model('if_int8_add_or_passthrough', [m, branch('ADD', [10, -20, 30, -40, 50], [5], 'int8'), pass]),
    invokes: 6, seeds: [1, 2, 3],
    source: 'IF (bool [1], int8 [5]): then subgraph 1 adds an int8 constant, else subgraph 2 has no operators and returns its input',
  };
}

/** WHILE i < n: i += 1, x *= k; n passes through the body; i starts from a constant. */
function whileCount(): Spec {
  const m = new G();
  const i0 = m.t('i0', 'float32', [1], { data: f32([0]) });
  const n = m.t('n', 'float32', [1]);
  const x = m.t('x', 'float32', [4]);
  const io = m.t('i_out', 'float32', [1]);
  const no = m.t('n_out', 'float32', [1]);
  const xo = m.t('x_out', 'float32', [4]);
  m.op('WHILE', [i0, n, x], [io, no, xo], OPTS.WHILE, [sub(1, 0), sub(2, 1)]).io([n, x], [io, xo]);
  const cond = new G();
  const ci = cond.t('i', 'float32', [1]);
  const cn = cond.t('n', 'float32', [1]);
  const cx = cond.t('x', 'float32', [4]);
  const more = cond.t('more', 'bool', [1]);
  cond.op('LESS', [ci, cn], [more]).io([ci, cn, cx], [more]);
  const body = new G();
  const bi = body.t('i', 'float32', [1]);
  const bn = body.t('n', 'float32', [1]);
  const bx = body.t('x', 'float32', [4]);
  const one = body.t('one', 'float32', [1], { data: f32([1]) });
  const k = body.t('k', 'float32', [4], { data: f32([1.5, -0.5, 2, 0.75]) });
  const bi2 = body.t('i_next', 'float32', [1]);
  const bx2 = body.t('x_next', 'float32', [4]);
  body.op('ADD', [bi, one], [bi2], OPTS.ADD, [{ slot: 0, type: 'i8', value: 0 }]);
  body.op('MUL', [bx, k], [bx2], OPTS.MUL, [{ slot: 0, type: 'i8', value: 0 }]).io([bi, bn, bx], [bi2, bn, bx2]);
  return {
    id: 'while_f32_count', model: model('while_f32_count', [m, cond, body]), invokes: 5, seeds: [1, 2], fixed: { 0: [0, 1, 4, 2, 3] },
    source: 'WHILE over (i float32 [1] from a constant 0, n float32 [1] input, x float32 [4] input): condition subgraph 1 is i < n (LESS), body subgraph 2 adds 1 to i, multiplies x by a constant and returns n unchanged; n is hand-chosen per invoke (0, 1, 4, 2, 3: zero iterations included), x seeded',
  };
}

/** WHILE whose body holds an IF: three levels of subgraphs. */
function whileIfNested(): Spec {
  const m = new G();
  const i0 = m.t('i0', 'float32', [1], { data: f32([0]) });
  const x = m.t('x', 'float32', [3]);
  const io = m.t('i_out', 'float32', [1]);
  const xo = m.t('x_out', 'float32', [3]);
  m.op('WHILE', [i0, x], [io, xo], OPTS.WHILE, [sub(1, 0), sub(2, 1)]).io([x], [xo, io]);
  const cond = new G();
  const ci = cond.t('i', 'float32', [1]);
  const cx = cond.t('x', 'float32', [3]);
  const four = cond.t('four', 'float32', [1], { data: f32([4]) });
  const more = cond.t('more', 'bool', [1]);
  cond.op('LESS', [ci, four], [more]).io([ci, cx], [more]);
  const body = new G();
  const bi = body.t('i', 'float32', [1]);
  const bx = body.t('x', 'float32', [3]);
  const one = body.t('one', 'float32', [1], { data: f32([1]) });
  const two = body.t('two', 'float32', [1], { data: f32([2]) });
  const early = body.t('early', 'bool', [1]);
  const bi2 = body.t('i_next', 'float32', [1]);
  const bx2 = body.t('x_next', 'float32', [3]);
  body.op('LESS', [bi, two], [early]);
  body.op('IF', [early, bx], [bx2], OPTS.IF, [sub(3, 0), sub(4, 1)]);
  body.op('ADD', [bi, one], [bi2], OPTS.ADD, [{ slot: 0, type: 'i8', value: 0 }]).io([bi, bx], [bi2, bx2]);
  return {
    id: 'while_if_nested_f32', model: model('while_if_nested_f32', [m, cond, body, branch('MUL', [2, -3, 0.5], [3]), branch('ADD', [0.25, 1, -1], [3])]),
    invokes: 2, seeds: [1, 2, 3],
    source: 'WHILE i < 4 (subgraph 1) over (i float32 [1] from a constant 0, x float32 [3]); its body (subgraph 2) runs IF i < 2: subgraph 3 multiplies x by a constant, else subgraph 4 adds one; i += 1',
  };
}

// ---- configurations TFLM refuses ----

function ifCondNotBool(): Refused {
  const m = new G();
  const c = m.t('cond', 'int32', [1]);
  const x = m.t('x', 'float32', [3]);
  const y = m.t('y', 'float32', [3]);
  m.op('IF', [c, x], [y], OPTS.IF, [sub(1, 0), sub(2, 1)]).io([c, x], [y]);
  return { id: 'if_cond_int32', model: model('if_cond_int32', [m, branch('MUL', [1, 2, 3], [3]), branch('ADD', [1, 2, 3], [3])]), expect: 'UNSUPPORTED_TYPE', source: 'IF whose condition is int32' };
}

function ifCountMismatch(): Refused {
  const m = new G();
  const c = m.t('cond', 'bool', [1]);
  const x = m.t('x', 'float32', [3]);
  const y = m.t('y', 'float32', [3]);
  m.op('IF', [c, x], [y], OPTS.IF, [sub(1, 0), sub(2, 1)]).io([c, x], [y]);
  const two = new G();
  const a = two.t('a', 'float32', [3]);
  const b = two.t('b', 'float32', [3]);
  const s = two.t('s', 'float32', [3]);
  two.op('ADD', [a, b], [s], OPTS.ADD, [{ slot: 0, type: 'i8', value: 0 }]).io([a, b], [s]);
  return { id: 'if_then_takes_two_inputs', model: model('if_then_takes_two_inputs', [m, two, branch('ADD', [1, 2, 3], [3])]), expect: 'MODEL_OPERATOR', source: 'IF passes one input; its then subgraph takes two' };
}

function whileIoMismatch(): Refused {
  const m = new G();
  const i0 = m.t('i', 'int32', [1]);
  const x = m.t('x', 'float32', [3]);
  const io = m.t('i_out', 'int32', [1]);
  m.op('WHILE', [i0, x], [io], OPTS.WHILE, [sub(1, 0), sub(2, 1)]).io([i0, x], [io]);
  const cond = new G();
  const ci = cond.t('i', 'int32', [1]);
  const cx = cond.t('x', 'float32', [3]);
  const zero = cond.t('zero', 'int32', [1], { data: i32([0]) });
  const more = cond.t('more', 'bool', [1]);
  cond.op('LESS', [ci, zero], [more]).io([ci, cx], [more]);
  const body = new G();
  const bi = body.t('i', 'int32', [1]);
  const bx = body.t('x', 'float32', [3]);
  body.io([bi, bx], [bi, bx]);
  return { id: 'while_two_inputs_one_output', model: model('while_two_inputs_one_output', [m, cond, body]), expect: 'MODEL_OPERATOR', source: 'WHILE with two inputs and one output' };
}

function callOnceBadIndex(): Refused {
  const m = new G();
  const x = m.t('x', 'float32', [2]);
  const y = m.t('y', 'float32', [2]);
  m.op('CALL_ONCE', [], [], OPTS.CALL_ONCE, [sub(5)]).op('RELU', [x], [y]).io([x], [y]);
  const init = new G().io([], []);
  return { id: 'call_once_index_out_of_range', model: model('call_once_index_out_of_range', [m, init]), expect: 'MODEL_INDEX', source: 'CALL_ONCE naming subgraph 5 of a model with 2' };
}

function ifElseBadIndex(): Refused {
  const m = new G();
  const c = m.t('cond', 'bool', [1]);
  const x = m.t('x', 'float32', [3]);
  const y = m.t('y', 'float32', [3]);
  m.op('IF', [c, x], [y], OPTS.IF, [sub(1, 0), sub(-1, 1)]).io([c, x], [y]);
  return { id: 'if_else_index_negative', model: model('if_else_index_negative', [m, branch('MUL', [1, 2, 3], [3])]), expect: 'MODEL_INDEX', source: 'IF whose else_subgraph_index is -1' };
}

function recursion(direct: boolean): Refused {
  const m = new G();
  const x = m.t('x', 'float32', [2]);
  const y = m.t('y', 'float32', [2]);
  m.op('CALL_ONCE', [], [], OPTS.CALL_ONCE, [sub(1)]).op('RELU', [x], [y]).io([x], [y]);
  const a = new G().op('CALL_ONCE', [], [], OPTS.CALL_ONCE, [sub(direct ? 1 : 2)]).io([], []);
  const graphs = [m, a];
  if (!direct) graphs.push(new G().op('CALL_ONCE', [], [], OPTS.CALL_ONCE, [sub(1)]).io([], []));
  const id = direct ? 'call_once_recursion_direct' : 'call_once_recursion_indirect';
  return {
    id, model: model(id, graphs), expect: 'MODEL_RECURSION',
    source: direct ? 'subgraph 1 (CALL_ONCE from subgraph 0) calls itself with CALL_ONCE' : 'subgraph 1 calls subgraph 2, which calls subgraph 1 (CALL_ONCE)',
  };
}

function ifBranchShapeMismatch(): Refused {
  const m = new G();
  const c = m.t('cond', 'bool', [1]);
  const x = m.t('x', 'float32', [3]);
  const y = m.t('y', 'float32', [3]);
  m.op('IF', [c, x], [y], OPTS.IF, [sub(1, 0), sub(2, 1)]).io([c, x], [y]);
  const wide = new G();
  const wx = wide.t('x', 'float32', [3]);
  const wy = wide.t('y', 'float32', [2, 3]);
  const wk = wide.t('k', 'float32', [2, 3], { data: f32([1, 2, 3, 4, 5, 6]) });
  wide.op('MUL', [wx, wk], [wy], OPTS.MUL, [{ slot: 0, type: 'i8', value: 0 }]).io([wx], [wy]);
  return { id: 'if_else_output_larger', model: model('if_else_output_larger', [m, branch('ADD', [1, 2, 3], [3]), wide]), expect: 'SHAPE_MISMATCH', source: 'IF output float32 [3]; the else subgraph (taken: the condition is false) returns [2,3]' };
}

function readNeverAssigned(): Refused {
  const m = new G();
  const r = varHandle(m, 'v', 'v_handle');
  const x = m.t('x', 'float32', [3]);
  const prev = m.t('prev', 'float32', [3]);
  const y = m.t('y', 'float32', [3]);
  m.op('READ_VARIABLE', [r], [prev]).op('ADD', [prev, x], [y], OPTS.ADD, [{ slot: 0, type: 'i8', value: 0 }]).io([x], [y]);
  return { id: 'var_read_never_assigned', model: model('var_read_never_assigned', [m]), expect: 'UNSUPPORTED_CONFIG', source: 'READ_VARIABLE of a variable no ASSIGN_VARIABLE writes' };
}

export function specs(): Spec[] {
  return [callOnceAccumulator(), int8ReadBeforeAssign(), ifF32(), ifInt8Passthrough(), whileCount(), whileIfNested()];
}

export function refusedSpecs(): Refused[] {
  return [ifCondNotBool(), ifCountMismatch(), whileIoMismatch(), callOnceBadIndex(), ifElseBadIndex(), recursion(true), recursion(false), ifBranchShapeMismatch(), readNeverAssigned()];
}

// ---- writing the group ----

function tensorSpecs(m: FlatModel, list: readonly number[]) {
  let offset = 0;
  return list.map((i) => {
    const t = m.tensors[i]!;
    const dtype = typeNames[t.type]!;
    const bytes = t.shape.reduce((a, b) => a * b, 1) * elementBytes[dtype];
    const spec = {
      name: t.name, dtype, shape: [...t.shape], byte_offset: offset, bytes,
      ...(t.quant ? { quant: { scale: t.quant.scale.map((s) => Math.fround(s)), zero_point: [...t.quant.zeroPoint], quantized_dimension: t.quant.axis } } : {}),
    };
    offset += bytes;
    return spec;
  });
}

/** The inputs of `invokes` invokes: seeded (xorshift32, one stream), bools one step per element, floats one per element, other types one per byte; hand-chosen values where `fixed` says. */
export function specInputs(s: Spec, seed: number): Uint8Array {
  const g = new XorShift(seed);
  const parts: Uint8Array[] = [];
  for (let k = 0; k < s.invokes; k++) {
    tensorSpecs(s.model, s.model.inputs).forEach((spec, pos) => {
      const fixed = s.fixed?.[pos];
      if (fixed !== undefined) parts.push(spec.dtype === 'float32' ? f32([fixed[k]!]) : i32([fixed[k]!]));
      else if (spec.dtype === 'float32') parts.push(f32(Array.from({ length: spec.bytes / 4 }, () => (g.next() | 0) / 2 ** 31)));
      else if (spec.dtype === 'bool') parts.push(Uint8Array.from({ length: spec.bytes }, () => (g.next() >>> 24) & 1));
      else parts.push(Uint8Array.from({ length: spec.bytes }, () => g.next() >>> 24));
    });
  }
  return Buffer.concat(parts);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A fresh interpreter, `invokes` invokes, the i-th reading the i-th set of inputs. Never given a file we keep as --output: the oracle deletes it when invoke fails. */
function runOracle(oracle: string, modelPath: string, input: Uint8Array, invokes: number, scratch: string) {
  writeFileSync(join(scratch, 'in.bin'), input);
  rmSync(join(scratch, 'out.bin'), { force: true });
  const r = spawnSync(oracle, [modelPath, '--invokes', String(invokes), '--input', join(scratch, 'in.bin'), '--output', join(scratch, 'out.bin')], { encoding: 'utf8', timeout: 60_000 });
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}${r.signal !== null ? `killed by ${r.signal}\n` : ''}`;
  const status = r.signal !== null ? `crashed (${r.signal})` : r.status === 0 ? 'ok' : r.status === 3 ? 'allocate_failed' : r.status === 4 ? 'invoke_failed' : `exit ${r.status}`;
  if (r.status !== 0) return { ok: false as const, status, log };
  const arena = /arena_used_bytes\s+(\d+)/.exec(log);
  return { ok: true as const, outputs: readFileSync(join(scratch, 'out.bin')), arena: arena ? Number(arena[1]) : null, log };
}

const opsOf = (m: FlatModel): Record<string, number> => {
  const ops: Record<string, number> = {};
  for (const g of [m, ...(m.subgraphs ?? [])]) for (const o of g.operators) {
    const name = builtinNames[o.builtin]!;
    ops[name] = (ops[name] ?? 0) + 1;
  }
  return ops;
};

function main(): void {
  const argv = process.argv.slice(2);
  const opt = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const oracle = opt('--oracle');
  if (oracle === undefined) throw new Error('usage: subgraph.js --oracle PATH [--out DIR]');
  const out = resolve(opt('--out') ?? join(root, 'test/data/tflm-ops/subgraph'));
  const scratch = join(out, '.scratch');
  for (const d of ['models', 'vectors', 'refused']) rmSync(join(out, d), { recursive: true, force: true });
  mkdirSync(join(out, 'models'), { recursive: true });
  mkdirSync(join(out, 'refused'), { recursive: true });
  mkdirSync(scratch, { recursive: true });
  const models = [];
  for (const s of specs()) {
    const bytes = serializeTflite(s.model);
    const rel = `models/${s.id}.tflite`;
    writeFileSync(join(out, rel), bytes);
    const vectors = [];
    let arena: number | null = null;
    for (const seed of s.seeds) {
      const input = specInputs(s, seed);
      const r = runOracle(oracle, join(out, rel), input, s.invokes, scratch);
      if (!r.ok) throw new Error(`${s.id}: the oracle refused it (${r.status}):\n${r.log}`);
      arena = r.arena;
      const dir = `vectors/${s.id}`;
      mkdirSync(join(out, dir), { recursive: true });
      writeFileSync(join(out, dir, `seed${seed}.in.bin`), input);
      writeFileSync(join(out, dir, `seed${seed}.out.bin`), r.outputs);
      vectors.push({
        name: `seed${seed}`, kind: s.fixed ? 'seeded, some inputs hand-chosen' : 'seeded', seed, invokes: s.invokes,
        input_sha256: sha256(input), output_sha256: sha256(r.outputs),
        input: `${dir}/seed${seed}.in.bin`, output: `${dir}/seed${seed}.out.bin`,
      });
    }
    models.push({
      id: s.id, model: rel, sha256: sha256(bytes), bytes: bytes.length, source: `generated model (tools/tflm-ops/subgraph.ts): ${s.source}`, license: 'generated test data', ops: opsOf(s.model),
      subgraphs: 1 + (s.model.subgraphs?.length ?? 0),
      inputs: tensorSpecs(s.model, s.model.inputs), outputs: tensorSpecs(s.model, s.model.outputs),
      runs_on_tflm_reference_kernels: true, tflm: { arena_used_bytes_x86_64: arena }, invokes: s.invokes, vectors,
    });
  }
  const refused = [];
  for (const c of refusedSpecs()) {
    const bytes = serializeTflite(c.model);
    const rel = `refused/${c.id}.tflite`;
    writeFileSync(join(out, rel), bytes);
    const inputs = tensorSpecs(c.model, c.model.inputs).reduce((n, t) => n + t.bytes, 0);
    const r = runOracle(oracle, join(out, rel), new Uint8Array(inputs), 1, scratch);
    if (r.ok) throw new Error(`${c.id}: expected TFLM to refuse it, it ran`);
    refused.push({
      id: c.id, op: Object.keys(opsOf(c.model))[0], model: rel, sha256: sha256(bytes), bytes: bytes.length, source: c.source,
      status: r.status, tflm_error: r.log.trim().split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(-6),
      expected_refusal: `XTML_STATUS_${c.expect}`,
    });
  }
  rmSync(scratch, { recursive: true, force: true });
  const manifest = {
    about: 'Models with several subgraphs (CALL_ONCE, IF, WHILE) and resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE), issue 14 group subgraph, written by tools/tflm-ops/subgraph.ts with our model writer; outputs from upstream TFLM.',
    oracle: 'upstream TFLM MicroInterpreter at tensorflow/tflite-micro 90b983c, reference kernels, g++ -O2 on x86-64, resource variables as many as the model has VAR_HANDLEs (/work/scratch-tflm, see docs/operators.md)',
    seeded_inputs: 'xorshift32 as ../shared/reference/ops/manifest.json defines it; a vector of K invokes draws the inputs of invoke 0, then of invoke 1, ... from one stream (the state carries on); bool inputs one step per element ((state>>24)&1); inputs a model lists in its source as hand-chosen are not drawn',
    output_capture: 'a vector is a stream of `invokes` invokes on one freshly AllocateTensors()\'d interpreter; the .out.bin holds the outputs after each invoke, one after another',
    models,
    refused,
  };
  writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  console.log(`${models.length} models, ${models.reduce((n, m) => n + m.vectors.length, 0)} vectors, ${refused.length} refused -> ${out}`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
