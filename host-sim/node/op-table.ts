// The operator table a model needs, as C for xtml_init_ops() (native/include/xtml.h):
// the builtins of its operators, each once, in the order the model first uses them,
// each as its typed entry (CONV_2D_INT8) when all its uses have that entry's types.
import { basename } from 'node:path';
import { FlatTable } from '../../src/convert/tflite-read.js';

/** Each operator name once, in order of first use. */
export function operatorSet(operators: readonly { name: string }[]): string[] {
  return [...new Set(operators.map((op) => op.name))];
}

/** A C identifier from a model's file name: "person-detect.tflite" -> "person_detect_ops". */
export function tableName(modelPath: string): string {
  const stem = basename(modelPath).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_]/g, '_');
  return `${/^[0-9]/.test(stem) || stem === '' ? `m${stem}` : stem}_ops`;
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Entry names as xtml.h spells them: builtins (CONV_2D), typed entries (CONV_2D_INT8) and custom codes (SignalWindow). */
const builtinName = /^(?:[A-Z][A-Z0-9_]*|Signal[A-Za-z]+)$/;

/**
 * The C array of a model's operators. Names outside XTML_OPERATORS cannot
 * reach here: the model was loaded by the full core first.
 */
export function opTableC(names: readonly string[], name: string, source: string): string {
  if (!identifier.test(name)) throw new RangeError(`table name ${JSON.stringify(name)} is not a C identifier`);
  const bad = names.find((n) => !builtinName.test(n));
  if (bad !== undefined) throw new RangeError(`operator ${JSON.stringify(bad)} is not a builtin name`);
  if (names.length === 0) {
    return `/* ${source.replace(/\*\//g, '* /')} has no operators: options.ops = NULL, options.op_count = 0. */\n`;
  }
  return [
    `/* The operators of ${source.replace(/\*\//g, '* /')}: options.ops = ${name}, options.op_count = ${names.length},`,
    ' * for xtml_arena_size_ops() and xtml_init_ops(). Written by `xs-tinyml ops --c`. */',
    `static const xtml_op_t *const ${name}[${names.length}] = {`,
    ...names.map((n) => `    XTML_OP(${n}),`),
    '};',
    '',
  ].join('\n');
}

// TensorFlow Lite TensorType codes the typed entries look at.
const INT8 = 9;
const INT32 = 2;

/**
 * The typed entries of xtml.h (XTML_OPERATOR_TYPES): the operator (its name
 * and builtin code), the entry's name, and whether one use of the operator
 * has the entry's types (tensor types of its inputs and outputs, -1 for an
 * absent one), as the entry's kernel decides in the core.
 */
interface TypedEntry {
  operator: string;
  code: number;
  entry: string;
  accepts: (inputs: number[], outputs: number[]) => boolean;
}

/** int8 input, filter (weights) and output, and an int32 bias or none. */
function int8Throughout(inputs: number[], outputs: number[]): boolean {
  return inputs[0] === INT8 && inputs[1] === INT8 && (inputs[2] === undefined || inputs[2] === -1 || inputs[2] === INT32) &&
    (outputs[0] === undefined || outputs[0] === INT8);
}

const typedEntries: readonly TypedEntry[] = [
  { operator: 'CONV_2D', code: 3, entry: 'CONV_2D_INT8', accepts: int8Throughout },
  { operator: 'DEPTHWISE_CONV_2D', code: 4, entry: 'DEPTHWISE_CONV_2D_INT8', accepts: int8Throughout },
  { operator: 'FULLY_CONNECTED', code: 9, entry: 'FULLY_CONNECTED_INT8', accepts: int8Throughout },
  { operator: 'SOFTMAX', code: 25, entry: 'SOFTMAX_INT8', accepts: (inputs) => inputs[0] === INT8 },
];

/**
 * Each operator name of `names` (from operatorSet) as the entry a table
 * needs: the typed entry when every use of that builtin in the model, in any
 * subgraph, has its types, else the operator's full entry. `model` has been
 * loaded by the core (verified), so its offsets are in bounds.
 */
export function tableEntries(model: Uint8Array, names: readonly string[]): string[] {
  const view = new DataView(model.buffer, model.byteOffset, model.byteLength);
  const root = new FlatTable(view, view.getUint32(0, true));
  // OperatorCode: deprecated_builtin_code (0), builtin_code (3)
  const codes = root.tables(1).map((c) => Math.max(c.i8(0, 0), c.i32(3, 0)));
  const uses = new Map<number, { inputs: number[]; outputs: number[] }[]>();
  for (const sg of root.tables(2)) {
    // SubGraph: tensors (0), operators (3); Tensor: type (1); Operator: opcode_index (0), inputs (1), outputs (2)
    const types = sg.tables(0).map((t) => t.i8(1, 0));
    const typeOf = (i: number): number => (i < 0 ? -1 : types[i] ?? -1);
    for (const op of sg.tables(3)) {
      const code = codes[op.u32(0, 0)];
      if (code === undefined || !typedEntries.some((e) => e.code === code)) continue;
      uses.set(code, [...(uses.get(code) ?? []), { inputs: op.i32s(1).map(typeOf), outputs: op.i32s(2).map(typeOf) }]);
    }
  }
  return names.map((name) => {
    const typed = typedEntries.find((e) => e.operator === name);
    const found = typed === undefined ? [] : uses.get(typed.code) ?? [];
    return typed !== undefined && found.length > 0 && found.every((u) => typed.accepts(u.inputs, u.outputs)) ? typed.entry : name;
  });
}
