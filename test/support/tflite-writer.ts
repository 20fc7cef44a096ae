// Single-operator (and small) TensorFlow Lite models for tests that need shapes
// the reference set does not have: the tests' description of a model, written
// by the project's one flatbuffer writer (src/convert/tflite-write.ts).
import { serializeTflite, type FlatField } from '../../src/convert/tflite-write.js';
import { TensorType as typeCodes } from '../../src/convert/tflite-schema.js';

export type TensorType = 'float32' | 'int32' | 'int8' | 'uint8' | 'int16';

export interface TensorDef {
  name: string;
  type: TensorType;
  shape: readonly number[];
  /** Constant data, little-endian; absent for activations. */
  data?: Uint8Array;
  /** Quantization: one scale per tensor, or one per channel of quantizedDimension. */
  scale?: readonly number[];
  zeroPoint?: readonly number[];
  quantizedDimension?: number;
  /** State kept between invokes (the schema's is_variable). */
  isVariable?: boolean;
}

/** One field of an options table: its schema type and value. */
export type OptionField = { type: 'i8' | 'i32'; value: number } | undefined;

export interface OperatorDef {
  /** BuiltinOperator code (CONV_2D = 3, ...). */
  builtin: number;
  version?: number;
  /** Tensor indices; -1 for an absent optional input. */
  inputs: readonly number[];
  outputs: readonly number[];
  /** BuiltinOptions union type (Conv2DOptions = 1, ...) and the table's fields in schema order. */
  optionsType: number;
  options: readonly OptionField[];
}

export interface ModelDef {
  tensors: readonly TensorDef[];
  operators: readonly OperatorDef[];
  inputs: readonly number[];
  outputs: readonly number[];
}

/** The .tflite bytes of a one-subgraph model. */
export function writeTflite(model: ModelDef): Uint8Array {
  return serializeTflite({
    tensors: model.tensors.map((t) => ({
      name: t.name, type: typeCodes[t.type], shape: t.shape,
      ...(t.data !== undefined ? { data: t.data } : {}),
      ...(t.scale !== undefined ? { quant: { scale: t.scale, zeroPoint: t.zeroPoint ?? t.scale.map(() => 0), axis: t.quantizedDimension ?? 0 } } : {}),
      ...(t.isVariable === true ? { isVariable: true } : {}),
    })),
    operators: model.operators.map((op) => ({
      builtin: op.builtin, version: op.version ?? 1, inputs: op.inputs, outputs: op.outputs, optionsType: op.optionsType,
      options: op.options.flatMap((f, slot): FlatField[] => (f === undefined ? [] : [{ slot, type: f.type, value: f.value }])),
    })),
    inputs: model.inputs,
    outputs: model.outputs,
    description: 'xs-tinyml test model',
  });
}
