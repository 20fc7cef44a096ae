// Numbers of the TensorFlow Lite flatbuffer schema (schema.fbs) that the
// converter reads and writes: builtin operator codes, option table types,
// tensor types, and the field slots of the tables it touches.

export const Builtin = Object.freeze({
  ADD: 0, AVERAGE_POOL_2D: 1, CONCATENATION: 2, CONV_2D: 3, DEPTHWISE_CONV_2D: 4, DEQUANTIZE: 6,
  FULLY_CONNECTED: 9, LOGISTIC: 14, MAX_POOL_2D: 17, MUL: 18, RELU: 19, RELU6: 21, RESHAPE: 22,
  SOFTMAX: 25, TANH: 28, PAD: 34, TRANSPOSE: 39, MEAN: 40, SUB: 41, SQUEEZE: 43, MAXIMUM: 55,
  MINIMUM: 57, EXPAND_DIMS: 70, RESIZE_NEAREST_NEIGHBOR: 97, LEAKY_RELU: 98, QUANTIZE: 114,
  HARD_SWISH: 117, LESS: 58, GREATER: 61, SELECT_V2: 123,
});

export type OpName = keyof typeof Builtin;

export const builtinName = (code: number): string | undefined =>
  (Object.keys(Builtin) as OpName[]).find((k) => Builtin[k] === code);

/** BuiltinOptions union member of each operator we write (0: none). */
export const OptionsType: Readonly<Record<OpName, number>> = Object.freeze({
  ADD: 11, AVERAGE_POOL_2D: 5, CONCATENATION: 10, CONV_2D: 1, DEPTHWISE_CONV_2D: 2, DEQUANTIZE: 0,
  FULLY_CONNECTED: 8, LOGISTIC: 0, MAX_POOL_2D: 5, MUL: 21, RELU: 0, RELU6: 0, RESHAPE: 17,
  SOFTMAX: 9, TANH: 0, PAD: 22, TRANSPOSE: 26, MEAN: 27, SUB: 28, SQUEEZE: 30, MAXIMUM: 39,
  MINIMUM: 39, EXPAND_DIMS: 52, RESIZE_NEAREST_NEIGHBOR: 74, LEAKY_RELU: 75, QUANTIZE: 0,
  HARD_SWISH: 0, LESS: 41, GREATER: 44, SELECT_V2: 98,
});

/** TensorType. */
export const TensorType = Object.freeze({ float32: 0, float16: 1, int32: 2, uint8: 3, int64: 4, bool: 6, int16: 7, int8: 9 });
export type DType = keyof typeof TensorType;

export const dtypeOf = (code: number): DType | undefined =>
  (Object.keys(TensorType) as DType[]).find((k) => TensorType[k] === code);

export type Activation = 'NONE' | 'RELU' | 'RELU_N1_TO_1' | 'RELU6' | 'TANH';
export const activationCode: Readonly<Record<Activation, number>> = Object.freeze({ NONE: 0, RELU: 1, RELU_N1_TO_1: 2, RELU6: 3, TANH: 4 });
export const activationOf = (code: number): Activation | undefined =>
  (Object.keys(activationCode) as Activation[]).find((k) => activationCode[k] === code);

export type Padding = 'SAME' | 'VALID';
