// Globals the XS engine gives every module, for the modules the desktop XS
// host runs as tsc compiles them here (on a device, mcconfig types them with
// the Moddable SDK's own typings). Only code that runs on XS may use them.
export {};

declare global {
  /** Prints to the debugger console (here: standard output). */
  function trace(...values: unknown[]): void;

  interface ArrayBufferConstructor {
    /** XS: the UTF-8 bytes of a string. */
    fromString(text: string): ArrayBuffer;
  }
}
