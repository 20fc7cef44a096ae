// xs-tinyml: the engine-neutral TypeScript API.
export { InferenceSession, type SessionOptions, type OperatorProfile, type Feeds, type TensorInput } from './session.js';
export { XtmlError, statusName, statusNames, type StatusName } from './errors.js';
export type { BackendName, CoreBinding, CoreContext, CoreOptions, ModelBytes, RawTensorInfo, RawProfileEntry } from './binding.js';
export { type Tensor, type TensorMetadata, type TensorType, type TypedArray, tensorTypes } from './tensor.js';
export { quantize, dequantize, type QuantizedType } from './quantize.js';
export { ImageError, checkFrame, parsePgm, encodePgm, pngSize, jpegSize, bytesPerPixel, pixelFormats, type Frame, type PixelFormat, type ImageSize, type ImageErrorCode } from './image.js';
export { modelSpec, ModelSpecError, type ModelSpec, type GridDecoding, type ClassifierDecoding } from './model-spec.js';
export { Pipeline, detectionsOf, type Detection, type Fit, type PipelineOptions, type PipelineResult, type Timing } from './pipeline.js';
export { loadModel, type LoadedModel, type LoadOptions, type ModelIdentity } from './model-handle.js';
export { DetectionApi, errorResponse, errorFor, frameFromRequest, type FrameLimits, defaultMaxBodyBytes, defaultMaxPixels, type ApiOptions, type AdaptHandler, type ClassifyHandler, type ApiRequest, type ApiResponse, type ImageDecoder } from './api.js';
export { ApiError } from './api-error.js';
export { reasonPhrase, apiStatuses } from './http-status.js';
export { Metrics, Histogram, type MetricsCounts, type MetricsSnapshot } from './metrics.js';
export { DriftMonitor, psi, type DriftOptions, type DriftStatus } from './drift.js';
export { ModelStore, MemoryStorage, slotFile, type StorageBackend, type StoreRecord, type SlotName, type ModelSource } from './model-store.js';
export { ModelService, type ServiceOptions, type HostCrypto, type InstallOptions, type BootReport } from './model-service.js';
export { sha256, sha256Hex } from './sha256.js';
export { FleetAgent, bucketQuantile, type AgentOptions, type AdaptationOutcome, type FleetTransport } from './fleet/agent.js';
export {
  encodeAdaptation, decodeAdaptation, federatedAverage, FederateError, maxReportExamples,
  type AdaptationReport, type FederatedHead, type HeadLike,
} from './fleet/federate.js';
export {
  fleetTopics, decodeDesired, decodeMetrics, decodeState, checkName, ProtocolError, protocolVersion,
  type Desired, type DeviceState, type MetricsReport, type Result, type FleetTopics, type ModelSource as FleetModelSource,
} from './fleet/protocol.js';
