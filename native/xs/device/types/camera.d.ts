// Types of module "embedded:io/image/in/camera" (ECMA-419 image input as
// $MODDABLE/modules/io/imagein/camera implements it): what this app uses.
export interface CameraOptions {
  /** Asked-for size; the driver picks the nearest frame size its sensor has (read width/height). */
  width?: number;
  height?: number;
  /** A Commodetto bitmap format number, or "jpeg". */
  imageType?: number | 'jpeg';
  /** "buffer": read() copies into the caller's buffer; "buffer/disposable": read() lends the driver's. */
  format?: 'buffer' | 'buffer/disposable';
  /** A frame is ready: call read(). */
  onReadable?: (this: Camera, count: number) => void;
}

export default class Camera {
  constructor(options: CameraOptions);
  readonly width: number;
  readonly height: number;
  readonly imageType: number;
  format: string;
  start(): void;
  stop(): void;
  close(): void;
  /** Copies the oldest ready frame into `into` and returns its byte count; undefined when none is ready. */
  read(into: ArrayBuffer): number | undefined;
}
