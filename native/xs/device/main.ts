// The detector app on Moddable XS (an ESP32, or the Moddable simulator): the
// model service of src/ (src/model-service.ts) boots the model storage holds,
// else the bundled one (a Resource, used in place in flash), and watches it
// (metrics, drift, profiles); then continuous detection from the camera (targets
// that have one) and the REST API over Moddable's HTTP server, with over-the-air
// updates (PUT /model) and rollback, and the fleet agent over MQTT when a
// broker is configured (config.fleet). The manifest at the
// repository root builds it; its "config" section holds the settings (port,
// body limits, drift, storage folder, camera frame size); Wi-Fi is joined by
// Moddable's setup/network from config.ssid / config.password before this runs.
import Resource from 'Resource';
import config from 'mc/config';
import { DetectionApi, ModelService, ModelStore, errorResponse, type Fit, type Frame } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { adaptRoutes } from 'xtml-device/adapt';
import { startCameraDetection } from 'xtml-device/camera';
import { startFleetAgent } from 'xtml-device/fleet';
import { serveApi } from 'xtml-device/http-transport';
import { sha256Hex } from 'xtml-device/sha256';
import { deviceStorage } from 'xtml-device/storage';

const modelResource = 'detector.tflite';
// Held-out frames 1..24 of models/data/heldout.bin (never trained on), 96x96
// gray8 one after the other: the first is the probe every new model must run,
// all of them are the drift baseline. In flash, read in place.
const knownFramesResource = 'known-frames.gray';
const knownFrameSide = 96;

function knownFrames(): Frame[] {
  const resource = new Resource(knownFramesResource);
  const size = knownFrameSide * knownFrameSide;
  const frames: Frame[] = [];
  for (let at = 0; at + size <= resource.byteLength; at += size) {
    // a view of the resource itself: no copy in RAM
    frames.push({ width: knownFrameSide, height: knownFrameSide, format: 'gray8', data: new Uint8Array(resource as unknown as ArrayBuffer, at, size) });
  }
  return frames;
}

export default function main(): void {
  const maxPixels = config.maxPixels ?? 320 * 240;
  const started = Date.now();
  const bundled = new Resource(modelResource);
  const storage = deviceStorage();
  const service = new ModelService({
    binding: xsBinding,
    bundled: { bytes: bundled, sha256: sha256Hex(bundled), size: bundled.byteLength },
    // No verifySignature: the Moddable SDK has no Ed25519 (see refuseUnsigned below).
    crypto: { sha256: sha256Hex },
    ...(storage !== undefined ? { store: new ModelStore(storage, sha256Hex) } : {}),
    knownFrames: knownFrames(),
    maxPixels,
    drift: { ...(config.drift?.threshold !== undefined ? { threshold: config.drift.threshold } : {}), ...(config.drift?.window !== undefined ? { window: config.drift.window } : {}) },
    log: (level, message) => trace(`xs-tinyml ${level}: ${message}\n`),
  });
  const boot = service.boot();
  const model = service.current();
  trace(`model ${model.id} from ${boot.source === 'bundled' ? 'the bundled resource' : `slot ${boot.source}`}: ${model.bytes} bytes, sha256 ${model.sha256}, arena ${model.session.arenaBytes} bytes, ready in ${Date.now() - started} ms${storage === undefined ? ' (no storage: updates last until restart)' : ''}\n`);

  const detector = config.detector ?? {};
  const camera = startCameraDetection(service, {
    width: detector.width ?? 96,
    height: detector.height ?? 96,
    fit: (detector.fit ?? 'crop') as Fit,
    heartbeat: detector.heartbeat ?? 0,
  });
  // With or without a camera, the REST API serves: on a camera board it is how the
  // model is watched (/metrics, /drift), updated and rolled back.
  const port = config.port ?? 80;
  const maxBodyBytes = config.maxBodyBytes ?? 16 * 1024;
  const api = new DetectionApi(service, {
    backend: 'xs',
    maxBodyBytes,
    maxModelBytes: config.maxModelBytes ?? 64 * 1024,
    maxPixels,
    // POST /adapt/examples, /adapt: examples are PGM frames within /detect's limits
    adapt: adaptRoutes(service, { decoders: {}, maxBodyBytes, maxPixels }),
  });
  // A configured key means "take only signed models". This device cannot
  // check a signature, so it takes none rather than taking them unchecked.
  const refuseUnsigned = config.signingKey ? (method: string, path: string) => {
    // an adapted model is a new model this device would install unsigned
    if (!(method === 'PUT' && path === '/model') && !(method === 'POST' && path === '/adapt')) return undefined;
    service.recordError('SIGNATURES_UNSUPPORTED');
    return errorResponse(501, 'SIGNATURES_UNSUPPORTED', 'a signing key is configured, but this device cannot verify Ed25519 signatures (the Moddable SDK has no Ed25519): model updates and adaptations are refused');
  } : undefined;
  serveApi(api, { port, log: true, ...(refuseUnsigned !== undefined ? { refuse: refuseUnsigned } : {}) });
  // The fleet agent (config.fleet.broker set): the same service, updated over MQTT.
  startFleetAgent({
    service,
    bundledSha256: sha256Hex(bundled),
    maxModelBytes: api.maxModelBytes,
    ...(config.signingKey ? {
      refuse: () => ({ code: 'SIGNATURES_UNSUPPORTED', message: 'a signing key is configured, but this device cannot verify Ed25519 signatures: model updates are refused' }),
    } : {}),
  });
  trace(`REST API on port ${port}: POST /detect (PGM, or raw gray8 with ?width=&height=), GET /model, PUT /model, POST /model/rollback, GET /metrics /drift /profile /healthz, POST /adapt/examples (PGM) /adapt; bodies up to ${api.maxBodyBytes} bytes, models up to ${api.maxModelBytes}${refuseUnsigned !== undefined ? ' (updates refused: signing key set, no verifier)' : ''}\n`);
}
