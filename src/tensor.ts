// Tensors as the API hands them out: { type, dims, data } with typed arrays.

export type TensorType =
  | 'float32' | 'float16' | 'int32' | 'uint8' | 'int64' | 'string' | 'bool' | 'int16'
  | 'complex64' | 'int8' | 'float64' | 'complex128' | 'uint64' | 'resource' | 'variant'
  | 'uint32' | 'uint16' | 'int4';

/** TensorFlow Lite's TensorType numbering, as xtml_dtype_t. */
export const tensorTypes: readonly TensorType[] = Object.freeze([
  'float32', 'float16', 'int32', 'uint8', 'int64', 'string', 'bool', 'int16', 'complex64', 'int8',
  'float64', 'complex128', 'uint64', 'resource', 'variant', 'uint32', 'uint16', 'int4',
]);

export type TypedArray =
  | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

export interface Tensor {
  type: TensorType;
  dims: readonly number[];
  data: TypedArray;
}

export interface TensorMetadata {
  name: string;
  type: TensorType;
  dims: readonly number[];
  /** Bytes of data: element count times element size. */
  bytes: number;
  /** Quantization scale; 0 when the tensor is not quantized. */
  scale: number;
  zeroPoint: number;
}

type TypedArrayConstructor = { new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray; BYTES_PER_ELEMENT: number };

const constructors: Partial<Record<TensorType, TypedArrayConstructor>> = Object.freeze({
  float32: Float32Array,
  int32: Int32Array,
  uint8: Uint8Array,
  int64: BigInt64Array,
  bool: Uint8Array,
  int16: Int16Array,
  int8: Int8Array,
  float64: Float64Array,
  uint64: BigUint64Array,
  uint32: Uint32Array,
  uint16: Uint16Array,
  float16: Uint16Array,
});

export function typeName(dtype: number): TensorType {
  return tensorTypes[dtype] ?? 'variant';
}

/** A typed array of the right kind over `bytes` bytes of `buffer`. */
export function typedView(type: TensorType, buffer: ArrayBuffer, byteOffset: number, bytes: number): TypedArray {
  const ctor = constructors[type] ?? Uint8Array;
  return new ctor(buffer, byteOffset, bytes / ctor.BYTES_PER_ELEMENT);
}

/** A fresh, zeroed typed array for a tensor of this metadata. */
export function allocateFor(meta: TensorMetadata): TypedArray {
  return typedView(meta.type, new ArrayBuffer(meta.bytes), 0, meta.bytes);
}

/** The typed-array kind a tensor type is held in, for argument checks. */
export function arrayKindFor(type: TensorType): string {
  return (constructors[type] ?? Uint8Array).name;
}

export function bytesOf(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
