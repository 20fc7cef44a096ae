// xs-tinyml: the engine-neutral TypeScript API.
export { InferenceSession, type SessionOptions, type OperatorProfile, type Feeds, type TensorInput } from './session.js';
export { XtmlError, statusName, statusNames, type StatusName } from './errors.js';
export type { BackendName, CoreBinding, CoreContext, ModelBytes, RawTensorInfo, RawProfileEntry } from './binding.js';
export { type Tensor, type TensorMetadata, type TensorType, type TypedArray, tensorTypes } from './tensor.js';
export { quantize, dequantize, type QuantizedType } from './quantize.js';
