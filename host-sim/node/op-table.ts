// The operator table a model needs, as C for xtml_init_ops() (native/include/xtml.h):
// the builtins of its operators, each once, in the order the model first uses them.
import { basename } from 'node:path';

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
/** Operator names as xtml.h's XTML_OPERATORS spells them: builtins (CONV_2D) and custom codes (SignalWindow). */
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
