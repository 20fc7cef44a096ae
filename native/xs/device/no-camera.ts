// Module "xtml-device/camera" on targets without a camera (the simulator, a
// plain ESP32): there is nothing to detect from, so the app serves the REST
// API instead. camera.ts is the module on targets that have one.
import type { StartCameraDetection } from 'xtml-device/camera';

export const startCameraDetection: StartCameraDetection = () => undefined;
