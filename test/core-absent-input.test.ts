// An operator whose first input is absent (-1 in its input list) is refused
// at load with MODEL_OPERATOR, on every backend. Only later inputs are ever
// optional in TFLite (a bias, a padding value); before this check an absent
// first input of a unary operator was read as an empty tensor and the output
// left unwritten, so the whole graph and the operator run alone disagreed
// (found by the differential fuzzer, npm run fuzz:long).
import test from 'ava';
import { loadBinding } from '../host-sim/node/backends.js';
import { InferenceSession, XtmlError } from '../src/index.js';
import { writeTflite, type OperatorDef } from './support/tflite-writer.js';

const TANH = 28;
const LOGISTIC = 14;
const RELU = 19;
const ADD = 0;
const ADD_OPTIONS = 11;

function model(op: Omit<OperatorDef, 'outputs'>, shape: number[] = [1, 4]): Uint8Array {
  return writeTflite({
    tensors: [
      { name: 'x', type: 'float32', shape },
      { name: 'y', type: 'float32', shape },
    ],
    operators: [{ ...op, outputs: [1] }],
    inputs: [0],
    outputs: [1],
  });
}

const cases: [string, Omit<OperatorDef, 'outputs'>, Omit<OperatorDef, 'outputs'>][] = [
  ['TANH', { builtin: TANH, inputs: [-1], optionsType: 0, options: [] }, { builtin: TANH, inputs: [0], optionsType: 0, options: [] }],
  ['LOGISTIC', { builtin: LOGISTIC, inputs: [-1], optionsType: 0, options: [] }, { builtin: LOGISTIC, inputs: [0], optionsType: 0, options: [] }],
  ['RELU', { builtin: RELU, inputs: [-1], optionsType: 0, options: [] }, { builtin: RELU, inputs: [0], optionsType: 0, options: [] }],
  ['ADD', { builtin: ADD, inputs: [-1, 0], optionsType: ADD_OPTIONS, options: [{ type: 'i8', value: 0 }] },
    { builtin: ADD, inputs: [0, 0], optionsType: ADD_OPTIONS, options: [{ type: 'i8', value: 0 }] }],
];

for (const backend of ['wasm', 'node'] as const) {
  for (const [name, absent, present] of cases) {
    test(`${backend}: ${name} with its first input absent is refused with MODEL_OPERATOR; with it, it loads`, (t) => {
      const binding = loadBinding(backend);
      const error = t.throws(() => InferenceSession.create(binding, model(absent)), { instanceOf: XtmlError });
      t.is(error.code, 'XTML_STATUS_MODEL_OPERATOR');
      t.regex(error.detail, new RegExp(`operator 0 \\(${name}\\): input 0 is absent`));
      const session = InferenceSession.create(binding, model(present));
      t.is(session.inputs.length, 1);
      session.release();
    });
  }
}

// The fuzzer's case: a scalar output, whose shape the absent input's (no
// dimensions) matched, so the operator's own checks passed it.
for (const backend of ['wasm', 'node'] as const) {
  test(`${backend}: TANH of an absent input into a scalar is refused, not run with its output unwritten`, (t) => {
    const binding = loadBinding(backend);
    const error = t.throws(() => InferenceSession.create(binding, model({ builtin: TANH, inputs: [-1], optionsType: 0, options: [] }, [])),
      { instanceOf: XtmlError });
    t.is(error.code, 'XTML_STATUS_MODEL_OPERATOR');
    const session = InferenceSession.create(binding, model({ builtin: TANH, inputs: [0], optionsType: 0, options: [] }, []));
    t.is(session.outputs[0]!.dims.length, 0);
    session.release();
  });
}
