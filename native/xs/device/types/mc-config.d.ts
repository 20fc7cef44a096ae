// Types of Moddable's module "mc/config": the "config" section of the app's
// manifest (manifest.json at the repository root) after mcconfig merged the
// target's config and the command line (`ssid=... password=...` override it).
// Only the keys this app reads.
declare const config: {
  /** Wi-Fi network; Moddable's setup/network joins it before main() runs. Empty: no Wi-Fi. */
  readonly ssid?: string;
  readonly password?: string;
  /** HTTP port of the REST API. */
  readonly port?: number;
  /** Largest request body, bytes: larger Content-Lengths get 413 before the body is read. */
  readonly maxBodyBytes?: number;
  /** Largest frame, pixels (REST bodies and camera frames). */
  readonly maxPixels?: number;
  /** The camera loop, on targets that have a camera. */
  readonly detector?: {
    /** Frame size asked of the camera; the driver picks the nearest size it has. */
    readonly width?: number;
    readonly height?: number;
    /** How a frame of another aspect ratio reaches the model: "crop" or "stretch". */
    readonly fit?: string;
    /** Also log a line every this many frames without detections (0: never). */
    readonly heartbeat?: number;
  };
};
export default config;
