// Module "xtml-device/camera" on targets without a camera (the simulator, a
// plain ESP32): there is nothing to detect from, so the app serves the REST
// API instead. camera.ts is the module on targets that have one.
// The type comes from camera.ts itself (erased from the output): here the
// module name "xtml-device/camera" is this very file.
import type { StartCameraDetection } from './camera.js';

export const startCameraDetection: StartCameraDetection = () => undefined;
