// Types of module "mc/config" (mc-config.js) for the device modules that run on
// the desktop XS host, as the tsc build of this repository compiles them: the
// "config" section of the app's manifest (manifest.json at the repository
// root), which mcconfig makes on a device and --config gives here. Only the
// keys the app reads. (On a device, mcconfig types the module itself.)
declare const config: {
  /** Wi-Fi network; Moddable's setup/network joins it before main() runs. Empty: no Wi-Fi. */
  readonly ssid?: string;
  readonly password?: string;
  /** HTTP port of the REST API. */
  readonly port?: number;
  /** Largest request body, bytes: larger Content-Lengths get 413 before the body is read. */
  readonly maxBodyBytes?: number;
  /** Largest PUT /model body (a .tflite), bytes; same early 413. */
  readonly maxModelBytes?: number;
  /**
   * Ed25519 public key that must have signed every model sent to PUT /model
   * (hex or base64 of its 32 raw bytes). The device cannot check Ed25519
   * signatures (the Moddable SDK has no Ed25519), so with a key set every PUT
   * /model is refused (501 SIGNATURES_UNSUPPORTED) rather than taken unchecked.
   */
  readonly signingKey?: string;
  /** Drift monitoring (src/drift.ts): PSI threshold and sliding window in frames. */
  readonly drift?: {
    readonly threshold?: number;
    readonly window?: number;
  };
  /** Updated models: the folder under the file system's root. */
  readonly storage?: {
    readonly dir?: string;
  };
  /** Set by Moddable's file module: where its file system starts ("/tmp/" in the Linux simulator). */
  readonly file?: {
    readonly root?: string;
  };
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
