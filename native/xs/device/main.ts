// The detector app on Moddable XS (an ESP32, or the Moddable simulator): the
// bundled model from a Resource (zero copy: used in place in flash), the
// src/ pipeline on the XS binding, then either continuous detection from the
// camera (targets that have one) or the REST API over Moddable's HTTP server.
// The manifest at the repository root builds it; its "config" section holds
// the settings (port, body limit, camera frame size); Wi-Fi is joined by
// Moddable's setup/network from config.ssid / config.password before this runs.
import Resource from 'Resource';
import config from 'mc/config';
import { DetectionApi, loadModel, type Fit } from 'xs-tinyml';
import xsBinding from 'xs-tinyml/xs-binding';
import { startCameraDetection } from 'xtml-device/camera';
import { serveApi } from 'xtml-device/http-transport';
import { sha256Hex } from 'xtml-device/sha256';

const modelResource = 'detector.tflite';

export default function main(): void {
  const maxPixels = config.maxPixels ?? 320 * 240;
  const started = Date.now();
  const bytes = new Resource(modelResource);
  const sha256 = sha256Hex(bytes);
  const model = loadModel(xsBinding, bytes, { sha256, bytes: bytes.byteLength }, { maxPixels });
  trace(`model ${model.id}: ${bytes.byteLength} bytes, sha256 ${sha256}, arena ${model.session.arenaBytes} bytes, ready in ${Date.now() - started} ms\n`);

  const detector = config.detector ?? {};
  const camera = startCameraDetection(model, {
    width: detector.width ?? 96,
    height: detector.height ?? 96,
    fit: (detector.fit ?? 'crop') as Fit,
    heartbeat: detector.heartbeat ?? 0,
  });
  if (camera !== undefined) return;

  const port = config.port ?? 80;
  const api = new DetectionApi(() => model, {
    backend: 'xs',
    maxBodyBytes: config.maxBodyBytes ?? 16 * 1024,
    maxPixels,
  });
  serveApi(api, { port, log: true });
  trace(`REST API on port ${port}: POST /detect (PGM, or raw gray8 with ?width=&height=), GET /model, GET /healthz; bodies up to ${api.maxBodyBytes} bytes\n`);
}
