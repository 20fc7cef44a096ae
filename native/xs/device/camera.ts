// Continuous detection from the board's camera (module
// "embedded:io/image/in/camera"): grayscale frames, copied into one buffer of
// ours as they come, each run through the model in service (ModelService.detect:
// counted in the metrics and the drift window), detections traced.
// The app's manifest maps module "xtml-device/camera" to this file on targets
// that have a camera and to no-camera.ts on the others.
import Camera from 'embedded:io/image/in/camera';
import type { Fit, Frame, ModelService } from 'xs-tinyml';

export interface CameraDetectionOptions {
  /** Frame size to ask for; the driver picks the nearest its sensor has. */
  width: number;
  height: number;
  fit: Fit;
  /** Also log every this many frames without detections (0: never). */
  heartbeat: number;
}

export interface CameraDetection {
  readonly width: number;
  readonly height: number;
  /** Frames processed so far. */
  readonly frames: number;
  close(): void;
}

/** Starts detecting and returns the running loop, or undefined on a target without a camera. */
export type StartCameraDetection = (service: ModelService, options: CameraDetectionOptions) => CameraDetection | undefined;

// Commodetto's Bitmap.Monochrome: the ESP32 driver maps it to the sensor's
// PIXFORMAT_GRAYSCALE, one byte per pixel (Bitmap.Gray256 it does not take).
const grayscale = 3;

export const startCameraDetection: StartCameraDetection = (service, options) => {
  let frame: Frame | undefined;
  let frames = 0;
  let empty = 0;
  const camera = new Camera({
    width: options.width,
    height: options.height,
    imageType: grayscale,
    format: 'buffer',
    onReadable() {
      if (frame === undefined) return;
      const length = camera.read(frame.data.buffer as ArrayBuffer);
      if (length === undefined) return;
      if (length !== frame.data.byteLength) {
        trace(`camera: a frame of ${length} bytes, expected ${frame.data.byteLength}; skipped\n`);
        return;
      }
      frames++;
      const result = service.detect(frame, options.fit);
      const { invoke_ms: invoke, preprocess_ms: pre } = result.timing;
      if (result.count === 0) {
        if (options.heartbeat > 0 && ++empty % options.heartbeat === 0) trace(`frame ${frames}: no detections (${pre} + ${invoke} ms)\n`);
        return;
      }
      let line = `frame ${frames}:`;
      for (let i = 0; i < result.count; i++) {
        const d = result.items[i]!;
        line += ` ${d.label} ${d.score.toFixed(2)} at (${Math.round(d.cx)},${Math.round(d.cy)})`;
      }
      trace(`${line} (${pre} + ${invoke} ms)\n`);
    },
  });
  const width = camera.width, height = camera.height;
  frame = { width, height, format: 'gray8', data: new Uint8Array(width * height) };
  camera.start();
  trace(`camera: ${width}x${height} gray8, detecting (fit ${options.fit})\n`);
  return {
    width,
    height,
    get frames() { return frames; },
    close() { camera.close(); },
  };
};
